// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {OpenToken} from "../../contracts/OpenToken.sol";
import {vm} from "./utils/Vm.sol";

contract OpenTokenTest {
    OpenToken internal token;

    function setUp() public {
        token = new OpenToken(address(this), 1_000_000 ether);
    }

    function testFuzzTransferKeepsSupply(address to, uint256 amount) public {
        vm.assume(to != address(0));
        amount = amount % (token.balanceOf(address(this)) + 1);
        token.transfer(to, amount);
        require(token.totalSupply() == 1_000_000 ether, "supply changed");
    }
}
